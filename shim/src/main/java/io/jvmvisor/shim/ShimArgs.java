package io.jvmvisor.shim;

import java.nio.file.Path;

/**
 * The shim's command line: {@code --id ID --bundle DIR --state-dir DIR
 * [--console-socket PATH] [--log FILE --log-format json|text] [--debug] [--creator PID]}. The
 * creator is the CLI that started this shim (its parent): if this shim's parent is another
 * process by the time it looks, the creator died first (0: not given, the parent is taken).
 */
record ShimArgs(String id, Path bundle, Path stateDir, String consoleSocket, Path log, boolean logJson, boolean debug,
                long creator) {

    static ShimArgs parse(String[] args) {
        String id = null;
        String bundle = null;
        String stateDir = null;
        String console = null;
        String log = null;
        String format = "text";
        boolean debug = false;
        long creator = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--id" -> id = value(args, ++i, a);
                case "--bundle" -> bundle = value(args, ++i, a);
                case "--state-dir" -> stateDir = value(args, ++i, a);
                case "--console-socket" -> console = value(args, ++i, a);
                case "--log" -> log = value(args, ++i, a);
                case "--log-format" -> format = value(args, ++i, a);
                case "--debug" -> debug = true;
                case "--creator" -> creator = creator(value(args, ++i, a));
                default -> throw new IllegalArgumentException("shim: unknown argument " + a);
            }
        }
        if (id == null || bundle == null || stateDir == null) {
            throw new IllegalArgumentException("shim: --id, --bundle and --state-dir are required");
        }
        return new ShimArgs(id, Path.of(bundle).toAbsolutePath(), Path.of(stateDir).toAbsolutePath(), console,
                log == null || log.isEmpty() ? null : Path.of(log), "json".equals(format), debug, creator);
    }

    private static long creator(String pid) {
        try {
            long p = Long.parseLong(pid);
            if (p > 0) {
                return p;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("shim: --creator needs a PID, not " + pid);
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException("shim: " + flag + " needs a value");
        }
        return args[i];
    }
}
