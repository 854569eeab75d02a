package io.jvmvisor.runtime;

import java.nio.file.Path;

/** {@code create}: boots the container's VM and prepares its process, which waits for {@code start}. */
final class CreateCommand implements CliCommand {
    /** The flags create and run share (runc's). */
    static Options containerOptions() {
        return new Options()
                .value("path to the root of the bundle directory, defaults to the current directory", ".", "bundle", "b")
                .value("path to an AF_UNIX socket which will receive a file descriptor referencing the master end "
                        + "of the console's pseudoterminal", null, "console-socket")
                .value("specify the file to write the process id to", null, "pid-file")
                .flag("accepted for runc compatibility (the rootfs is a 9p mount in the VM)", "no-pivot")
                .flag("accepted for runc compatibility", "no-new-keyring")
                .value("Pass N additional file descriptors to the container (jvmvisor: 0 only)", "0", "preserve-fds");
    }

    /** create/run options from parsed flags. */
    static ContainerCreator.Options creatorOptions(Options.Parsed p, boolean detach) throws CliException {
        int preserve;
        try {
            preserve = Integer.parseInt(p.value("preserve-fds"));
        } catch (NumberFormatException e) {
            throw new CliException("invalid value \"" + p.value("preserve-fds") + "\" for flag -preserve-fds");
        }
        String pidFile = p.value("pid-file");
        return new ContainerCreator.Options(p.args().getFirst(), Path.of(p.value("bundle")), p.value("console-socket"),
                pidFile == null ? null : Path.of(pidFile), preserve, detach);
    }

    @Override
    public String description() {
        return "create a container";
    }

    @Override
    public String usage() {
        return "<container-id>";
    }

    @Override
    public int minArgs() {
        return 1;
    }

    @Override
    public int maxArgs() {
        return 1;
    }

    @Override
    public Options options() {
        return containerOptions();
    }

    @Override
    public int call(Global g, Options.Parsed p) throws CliException {
        new ContainerCreator(g.containers(), g.log, g.debug).create(creatorOptions(p, true));
        return 0;
    }
}
