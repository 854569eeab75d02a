package io.jvmvisor.bench;

/** A measurement that could not be taken; its message becomes the row's "n/a (reason)". */
public final class BenchException extends RuntimeException {
    public BenchException(String message) {
        super(message, null, false, false);
    }
}
