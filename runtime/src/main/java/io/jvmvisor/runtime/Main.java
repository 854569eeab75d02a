package io.jvmvisor.runtime;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Entry point of the {@code jvmvisor} CLI (bin/jvmvisor): global options,
 * then a command with its own flags and arguments, as runc takes them.
 */
public final class Main {
    /** The commands, in help order. */
    static final Map<String, Supplier<CliCommand>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("create", CreateCommand::new);
        COMMANDS.put("delete", DeleteCommand::new);
        COMMANDS.put("events", EventsCommand::new);
        COMMANDS.put("exec", ExecCommand::new);
        COMMANDS.put("features", FeaturesCommand::new);
        COMMANDS.put("kill", KillCommand::new);
        COMMANDS.put("list", ListCommand::new);
        COMMANDS.put("mount", MountCommand::new);
        COMMANDS.put("pause", PauseCommand::new);
        COMMANDS.put("ps", PsCommand::new);
        COMMANDS.put("resume", ResumeCommand::new);
        COMMANDS.put("run", RunCommand::new);
        COMMANDS.put("spec", SpecCommand::new);
        COMMANDS.put("start", StartCommand::new);
        COMMANDS.put("state", StateCommand::new);
        COMMANDS.put("umount", UmountCommand::new);
        COMMANDS.put("update", UpdateCommand::new);
        COMMANDS.put("version", VersionCommand::new);
    }

    private Main() {
    }

    /** Whether the command run may leave a thread in a blocking native call ({@link CliCommand#leavesBlockedThreads}). */
    private static boolean blockedThreads;

    public static void main(String[] args) {
        int code = run(args);
        if (System.getenv(io.jvmvisor.shim.PreStartedShim.ENV) != null) {
            // a shim bin/jvmvisor started for a create that did not get as far as starting one
            io.jvmvisor.shim.PreStartedShim.discard();
        }
        // not System.exit (it logs through System.Logger, ~20 ms); the CLI registers no shutdown hooks,
        // and every command has written its state and output by now. _exit(2) where a thread may sit
        // in a blocking native call (create's reaper of the shim: halt would wait 300 ms for it),
        // Runtime.halt elsewhere (binding _exit costs a fresh JVM 25-60 ms)
        if (blockedThreads) {
            io.jvmvisor.sys.ProcessExit.now(code);
        }
        io.jvmvisor.sys.ProcessExit.halt(code);
    }

    /** Runs the CLI and returns its exit code (for tests and the AOT training run). */
    public static int run(String... args) {
        Options.Parsed globals;
        try {
            globals = Global.options().parse(args, 0, true);
        } catch (CliException e) {
            new ErrorLog(null, "text", false, System.err).error(e.getMessage());
            return 1;
        }
        Global global = new Global(globals);
        if (globals.flag("version")) {
            VersionCommand.print();
            return 0;
        }
        List<String> rest = globals.args();
        if (globals.flag("help") || rest.isEmpty() || rest.size() == 1 && rest.getFirst().equals("help")) {
            System.out.print(rootHelp());
            return 0;
        }
        String name = rest.getFirst().equals("ls") ? "list" : rest.getFirst();
        Supplier<CliCommand> factory = COMMANDS.get(name);
        if (factory == null) {
            global.log.error("unknown command \"" + name + "\" (see jvmvisor --help)");
            return 1;
        }
        CliCommand command = factory.get();
        blockedThreads = command.leavesBlockedThreads();
        Options options = command.options().flag("show help", "help", "h");
        try {
            Options.Parsed parsed = options.parse(rest.toArray(String[]::new), 1, true);
            if (parsed.flag("help")) {
                System.out.print(commandHelp(name, command, options));
                return 0;
            }
            checkArgs(name, command, parsed.args().size());
            return command.call(global, parsed);
        } catch (CliException e) {
            global.log.error(e.getMessage());
            return e.exitCode();
        } catch (RuntimeException e) {
            global.log.error(e.toString());
            if (global.debug) {
                e.printStackTrace();
            }
            return 1;
        }
    }

    /** runc's checkArgs wording. */
    private static void checkArgs(String name, CliCommand c, int n) throws CliException {
        if (c.minArgs() == c.maxArgs() && n != c.minArgs()) {
            throw new CliException("\"" + name + "\" requires exactly " + c.minArgs() + " argument(s)");
        }
        if (n < c.minArgs()) {
            throw new CliException("\"" + name + "\" requires a minimum of " + c.minArgs() + " argument(s)");
        }
        if (n > c.maxArgs()) {
            throw new CliException("\"" + name + "\" requires a maximum of " + c.maxArgs() + " argument(s)");
        }
    }

    private static String rootHelp() {
        StringBuilder sb = new StringBuilder("""
                NAME:
                   jvmvisor - an OCI runtime, command-compatible with runc, that runs every container in its own micro-VM

                USAGE:
                   jvmvisor [global options] command [command options] [arguments...]

                COMMANDS:
                """);
        COMMANDS.forEach((n, f) -> sb.append(String.format("   %-10s %s%n", n, f.get().description())));
        sb.append("\nGLOBAL OPTIONS:\n").append(Global.options().help());
        return sb.toString();
    }

    private static String commandHelp(String name, CliCommand c, Options options) {
        return "NAME:\n   jvmvisor " + name + " - " + c.description() + "\n\nUSAGE:\n   jvmvisor " + name
                + " [command options] " + c.usage() + "\n\nOPTIONS:\n" + options.help();
    }
}
