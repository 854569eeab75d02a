package io.jvmvisor.runtime;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code spec}: writes a starting config.json into the bundle; never overwrites one. */
@Command(name = "spec", description = "create a new specification file")
public final class SpecCommand implements Callable<Integer> {
    @Option(names = {"--bundle", "-b"}, defaultValue = ".", description = "path to the root of the bundle directory")
    Path bundle;

    @Option(names = "--rootless", description = "generate a configuration for a rootless container (not supported)")
    boolean rootless;

    @Override
    public Integer call() throws CliException {
        if (rootless) {
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
