package io.jvmvisor.runtime.state;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** {@code <state dir>/exit.json}, written by the shim when the container's process exited. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ExitRecord(Integer exitStatus, Integer signal, String reason) {
}
