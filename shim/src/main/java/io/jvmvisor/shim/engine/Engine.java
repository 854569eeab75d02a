package io.jvmvisor.shim.engine;

import java.io.IOException;
import java.nio.file.Path;

/** Boots a container's VM. Implementations: {@link QemuEngine} (the native Java VMM comes later). */
public interface Engine {
    /**
     * Starts the VM; the returned VM's agent socket may not accept connections
     * yet (the guest is booting). {@code stateDir} receives console.log and vmm.pid.
     */
    Vm start(VmConfig config, Path stateDir) throws IOException;

    /**
     * Starts the VM from a template of its shape when {@code template} is true and one exists
     * ({@link Vm#restored()}), else boots it. A template that fails to restore is discarded and the VM
     * boots cold.
     */
    default Vm start(VmConfig config, Path stateDir, boolean template) throws IOException {
        return start(config, stateDir);
    }

    /** Picks the engine named by the annotation {@code io.jvmvisor.engine} (null: the default). */
    static Engine named(String name) {
        if (name == null || name.isEmpty() || name.equals("qemu")) {
            return new QemuEngine();
        }
        throw new IllegalArgumentException("annotation io.jvmvisor.engine: unknown engine \"" + name
                + "\" (known: qemu)");
    }
}
