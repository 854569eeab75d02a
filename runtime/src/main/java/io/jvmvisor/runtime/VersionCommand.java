package io.jvmvisor.runtime;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** {@code version} (and {@code --version}): like runc's version lines. */
@Command(name = "version", description = "print the version")
public final class VersionCommand implements Callable<Integer> {
    /** The jvmvisor version. */
    public static final String VERSION = "0.1.0";

    /** The lines printed. */
    public static String[] lines() {
        return new String[] {"jvmvisor version " + VERSION, "spec: " + Containers.OCI_VERSION,
                "java: " + Runtime.version()};
    }

    @Override
    public Integer call() {
        for (String l : lines()) {
            System.out.println(l);
        }
        return 0;
    }

    /** For picocli's --version. */
    public static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return lines();
        }
    }
}
