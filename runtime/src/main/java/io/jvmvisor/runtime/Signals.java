package io.jvmvisor.runtime;

import java.util.Locale;
import java.util.Map;

/** Signal names and numbers as {@code kill} accepts them: {@code TERM}, {@code SIGTERM}, {@code 15}. */
public final class Signals {
    /** Linux x86-64 signal numbers. */
    private static final Map<String, Integer> NUMBERS = Map.ofEntries(
            Map.entry("HUP", 1), Map.entry("INT", 2), Map.entry("QUIT", 3), Map.entry("ILL", 4),
            Map.entry("TRAP", 5), Map.entry("ABRT", 6), Map.entry("IOT", 6), Map.entry("BUS", 7),
            Map.entry("FPE", 8), Map.entry("KILL", 9), Map.entry("USR1", 10), Map.entry("SEGV", 11),
            Map.entry("USR2", 12), Map.entry("PIPE", 13), Map.entry("ALRM", 14), Map.entry("TERM", 15),
            Map.entry("STKFLT", 16), Map.entry("CHLD", 17), Map.entry("CONT", 18), Map.entry("STOP", 19),
            Map.entry("TSTP", 20), Map.entry("TTIN", 21), Map.entry("TTOU", 22), Map.entry("URG", 23),
            Map.entry("XCPU", 24), Map.entry("XFSZ", 25), Map.entry("VTALRM", 26), Map.entry("PROF", 27),
            Map.entry("WINCH", 28), Map.entry("IO", 29), Map.entry("POLL", 29), Map.entry("PWR", 30),
            Map.entry("SYS", 31));
    private static final int SIGRTMIN = 34;
    private static final int SIGRTMAX = 64;

    private Signals() {
    }

    /** Parses a signal; throws IllegalArgumentException with runc's message for an unknown one. */
    public static int parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("unknown signal \"\"");
        }
        if (Character.isDigit(text.charAt(0))) {
            int n;
            try {
                n = Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("unknown signal \"" + text + "\"");
            }
            if (n < 1 || n > SIGRTMAX) {
                throw new IllegalArgumentException("invalid signal number " + n + " (1-" + SIGRTMAX + ")");
            }
            return n;
        }
        String name = text.toUpperCase(Locale.ROOT);
        if (name.startsWith("SIG")) {
            name = name.substring(3);
        }
        Integer n = NUMBERS.get(name);
        if (n != null) {
            return n;
        }
        Integer rt = realtime(name);
        if (rt != null) {
            return rt;
        }
        throw new IllegalArgumentException("unknown signal \"" + text + "\"");
    }

    /** RTMIN, RTMIN+n, RTMAX, RTMAX-n. */
    private static Integer realtime(String name) {
        try {
            if (name.equals("RTMIN")) {
                return SIGRTMIN;
            }
            if (name.equals("RTMAX")) {
                return SIGRTMAX;
            }
            if (name.startsWith("RTMIN+")) {
                int n = SIGRTMIN + Integer.parseInt(name.substring(6));
                return n <= SIGRTMAX ? n : null;
            }
            if (name.startsWith("RTMAX-")) {
                int n = SIGRTMAX - Integer.parseInt(name.substring(6));
                return n >= SIGRTMIN ? n : null;
            }
        } catch (NumberFormatException e) {
            return null;
        }
        return null;
    }
}
