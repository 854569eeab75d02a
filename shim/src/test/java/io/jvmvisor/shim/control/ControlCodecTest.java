package io.jvmvisor.shim.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The hand-written codecs of the CLI and of the shim read what the other writes, both ways, and
 * write byte for byte what databind would (the wire format before they replaced it).
 */
class ControlCodecTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void requestsReadByTheShimAsWritten() throws Exception {
        ObjectNode process = MAPPER.createObjectNode().put("cwd", "/");
        process.putArray("args").add("sh").add("-c").add("echo \"hi\"\n");
        for (ControlRequest r : new ControlRequest[] {
                ControlRequest.of(ControlRequest.Op.STATE), ControlRequest.kill(9, true), ControlRequest.delete(false),
                ControlRequest.exec("e1", process, 1234L, "/run/c.sock"), ControlRequest.resize("", 40, 120)}) {
            String line = new String(ControlCodec.write(r), StandardCharsets.UTF_8);
            assertEquals(r, MAPPER.readValue(line, ControlRequest.class), line);
            assertEquals(r, ControlCodec.readRequest(line), line);
            assertEquals(MAPPER.writeValueAsString(r), line);
        }
    }

    /** Every component set (a component the hand-written codec misses fails here). */
    @Test
    void everyRequestComponentIsWritten() throws Exception {
        var comps = ControlRequest.class.getRecordComponents();
        Object[] values = new Object[comps.length];
        Class<?>[] types = new Class<?>[comps.length];
        for (int i = 0; i < comps.length; i++) {
            Class<?> t = comps[i].getType();
            types[i] = t;
            values[i] = t == String.class ? "s\"" + i : t == Integer.class ? i : t == Long.class ? (long) i << 33
                    : t == Boolean.class ? i % 2 == 0 : MAPPER.createObjectNode().put("k" + i, i);
        }
        ControlRequest r = ControlRequest.class.getDeclaredConstructor(types).newInstance(values);
        String line = new String(ControlCodec.write(r), StandardCharsets.UTF_8);
        assertEquals(MAPPER.writeValueAsString(r), line);
        assertEquals(r, MAPPER.readValue(line, ControlRequest.class));
        assertEquals(r, ControlCodec.readRequest(line));
    }

    @Test
    void theShimRefusesUnknownMembersAndWrongTypes() {
        for (String line : new String[] {"{\"op\":\"kill\",\"sig\":9}", "{\"op\":\"kill\",\"signal\":\"9\"}",
                "{\"op\":\"exec\",\"process\":\"sh\"}", "{\"op\":\"resize\",\"rows\":4294967296}", "[\"state\"]",
                "{\"op\":\"state\"", ""}) {
            org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> ControlCodec.readRequest(line), line);
        }
    }

    // exec --process's file goes as given (no ObjectMapper in the CLI); the shim reads the same process
    @Test
    void aRawProcessIsWrittenAsGiven() throws Exception {
        String json = "{\"args\":[\"sh\",\"-c\",\"echo \\\"a b\\\"\"],  \"terminal\":false, \"env\":[\"A=1\"]}";
        ControlRequest r = ControlRequest.execForStandIn("e", new com.fasterxml.jackson.databind.node.POJONode(
                new com.fasterxml.jackson.databind.util.RawValue(json)), 1, null);
        String line = new String(ControlCodec.write(r), StandardCharsets.UTF_8);
        ControlRequest read = new ObjectMapper().readValue(line, ControlRequest.class);
        assertEquals(new ObjectMapper().readTree(json), read.process());
        assertEquals(true, read.standIn());
        assertEquals(read, ControlCodec.readRequest(line));
        assertEquals(new ObjectMapper().treeToValue(read.process(), io.jvmvisor.oci.Process.class),
                io.jvmvisor.oci.SpecLoader.process(ControlCodec.readRequest(line).process()));
    }

    /** Every component set (a component the hand-written reader misses fails here). */
    @Test
    void everyResponseComponentIsRead() throws Exception {
        var comps = ControlResponse.class.getRecordComponents();
        Object[] values = new Object[comps.length];
        Class<?>[] types = new Class<?>[comps.length];
        for (int i = 0; i < comps.length; i++) {
            Class<?> t = comps[i].getType();
            types[i] = t;
            values[i] = t == String.class ? "s\u00e9\n" + i : t == Integer.class ? i : t == Long.class ? (long) i << 33
                    : t == boolean.class ? true : MAPPER.createObjectNode().put("k" + i, i);
        }
        ControlResponse r = ControlResponse.class.getDeclaredConstructor(types).newInstance(values);
        assertEquals(r, ControlCodec.readResponse(MAPPER.writeValueAsString(r)));
        String line = new String(ControlCodec.writeResponse(r), StandardCharsets.UTF_8);
        assertEquals(MAPPER.writeValueAsString(r), line);
        assertEquals(r, ControlCodec.readResponse(line));
    }

    @Test
    void responsesReadByTheCliAsTheShimWrote() throws Exception {
        ObjectNode data = MAPPER.createObjectNode().put("pids", 3);
        for (ControlResponse r : new ControlResponse[] {
                ControlResponse.success(), ControlResponse.state("running", null), ControlResponse.state("stopped", 137),
                ControlResponse.pid(42L), ControlResponse.exited(7), ControlResponse.data(data),
                ControlResponse.failure(ControlResponse.ErrorCode.NOT_FOUND, "container \"x\" does not exist")}) {
            String line = new String(ControlCodec.writeResponse(r), StandardCharsets.UTF_8);
            assertEquals(MAPPER.writeValueAsString(r), line);
            assertEquals(r, ControlCodec.readResponse(line), line);
        }
        // Fields the CLI does not know are skipped.
        assertEquals(ControlResponse.success(),
                ControlCodec.readResponse("{\"ok\":true,\"later\":{\"x\":[1,2]},\"more\":null}"));
    }
}
