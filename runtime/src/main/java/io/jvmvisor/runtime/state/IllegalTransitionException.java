package io.jvmvisor.runtime.state;

/** An operation the container's current status does not allow; the message is runc's. */
public final class IllegalTransitionException extends Exception {
    private final transient Status from;
    private final String to;

    public IllegalTransitionException(Status from, String to, String message) {
        super(message, null, false, false);
        this.from = from;
        this.to = to;
    }

    /** The status the container was in. */
    public Status from() {
        return from;
    }

    /** The status the refused operation would have led to. */
    public String to() {
        return to;
    }
}
