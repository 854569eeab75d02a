package io.jvmvisor.runtime;

/**
 * {@code run}: create + start; in the foreground it then waits for the
 * container to exit, deletes it and exits with the container's exit status.
 */
final class RunCommand implements CliCommand {
    @Override
    public String description() {
        return "create and run a container";
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
        return CreateCommand.containerOptions()
                .flag("detach from the container's process", "detach", "d")
                .flag("do not delete the container after it exits", "keep")
                .flag("accepted for runc compatibility", "no-subreaper");
    }

    @Override
    public int call(Global g, Options.Parsed p) throws CliException {
        boolean detach = p.flag("detach");
        String id = p.args().getFirst();
        Containers containers = g.containers();
        ContainerCreator.Created created = new ContainerCreator(containers, g.log, g.debug)
                .create(CreateCommand.creatorOptions(p, detach));
        try {
            containers.start(id);
        } catch (CliException e) {
            try {
                containers.delete(id, true);
            } catch (CliException cleanup) {
                g.log.warn("cleaning up " + id + ": " + cleanup.getMessage());
            }
            throw e;
        }
        if (detach) {
            return 0;
        }
        SignalForwarder.start(sig -> containers.forward(id, null, sig), g.log);
        int status;
        try {
            status = created.shim().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while waiting for container " + id);
        }
        if (!p.flag("keep")) {
            containers.delete(id, true);
        }
        return status;
    }
}
