package io.jvmvisor.runtime;

import picocli.CommandLine;

/** Entry point of the {@code jvmvisor} CLI (bin/jvmvisor). */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (for tests and the AOT training run). */
    public static int run(String... args) {
        JvmvisorCommand root = new JvmvisorCommand();
        CommandLine cl = new CommandLine(root)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    ErrorLog log = root.log();
                    if (e instanceof CliException ce) {
                        log.error(ce.getMessage());
                        return ce.exitCode();
                    }
                    log.error(e.toString());
                    if (root.debug) {
                        e.printStackTrace();
                    }
                    return 1;
                })
                .setParameterExceptionHandler((e, args2) -> {
                    root.log().error(e.getMessage() + " (see " + commandName(e.getCommandLine()) + " --help)");
                    return 1;
                });
        return cl.execute(args);
    }

    private static String commandName(CommandLine cl) {
        return cl.getCommandSpec().qualifiedName();
    }
}
