package io.jvmvisor.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** JsonTree makes the very nodes databind's readTree makes, and refuses what is not one JSON value. */
class JsonTreeTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"{\"return\":{}}", "{\"QMP\":{\"version\":{\"qemu\":{\"major\":10}},\"capabilities\":[\"oob\"]}}",
        "{\"a\":[1,-2,3000000000,123456789012345678901234567890,0.5,1e300,true,false,null,\"\\u00e9\\n\"],\"b\":{\"c\":{}}}",
        "{\"k\":1,\"k\":2}", "[]", "\"s\"", "7", "null", "  {\"x\" : [ ] }  "})
    void readsAsDatabindDoes(String json) throws IOException {
        assertEquals(MAPPER.readTree(json), JsonTree.read(json), json);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "{\"a\":", "[1,", "{} {}", "{\"a\" 1}", "nul"})
    void refusesWhatIsNotOneValue(String json) {
        assertThrows(IOException.class, () -> JsonTree.read(json), json);
    }
}
