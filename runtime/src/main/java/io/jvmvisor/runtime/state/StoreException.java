package io.jvmvisor.runtime.state;

/** A state-store failure; {@link #kind()} lets callers act like runc (e.g. {@code delete --force} of a missing ID). */
public final class StoreException extends Exception {
    /** What went wrong. */
    public enum Kind { NOT_FOUND, EXISTS, INVALID_ID, IO }

    private final Kind kind;

    public StoreException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
