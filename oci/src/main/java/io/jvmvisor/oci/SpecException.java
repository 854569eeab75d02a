package io.jvmvisor.oci;

/** A bundle or config.json a person must fix; the message says what and where. */
public final class SpecException extends Exception {
    public SpecException(String message) {
        super(message, null, false, false);
    }
}
