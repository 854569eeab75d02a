package io.jvmvisor.runtime.hooks;

/** A hook that failed, timed out or could not be started; the message names the hook. */
public final class HookException extends Exception {
    public HookException(String message) {
        super(message, null, false, false);
    }
}
