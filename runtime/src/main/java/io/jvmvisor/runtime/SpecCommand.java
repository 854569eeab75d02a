package io.jvmvisor.runtime;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** {@code spec}: writes a starting config.json into the bundle; never overwrites one. */
final class SpecCommand implements CliCommand {
    @Override
    public String description() {
        return "create a new specification file";
    }

    @Override
    public String usage() {
        return "";
    }

    @Override
    public int minArgs() {
        return 0;
    }

    @Override
    public int maxArgs() {
        return 0;
    }

    @Override
    public Options options() {
        return new Options()
                .value("path to the root of the bundle directory", ".", "bundle", "b")
                .flag("generate a configuration for a rootless container (not supported)", "rootless");
    }

    @Override
    public boolean leavesBlockedThreads() {
        return false;
    }

    @Override
    public int call(Global g, Options.Parsed p) throws CliException {
        Path bundle = Path.of(p.value("bundle"));
        if (p.flag("rootless")) {
            throw new CliException("--rootless is not supported: jvmvisor runs containers as root in a VM");
        }
        if (!Files.isDirectory(bundle)) {
            throw new CliException("bundle " + bundle + ": no such directory");
        }
        Path config = bundle.resolve("config.json");
        try {
            Files.writeString(config, Json.pretty(DefaultSpec.create(), "\t") + "\n",
                    StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            throw new CliException("File config.json exists. Remove it first");
        } catch (IOException e) {
            throw new CliException("cannot write " + config + ": " + e.getMessage());
        }
        return 0;
    }
}
