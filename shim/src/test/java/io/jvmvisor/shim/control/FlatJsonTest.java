package io.jvmvisor.shim.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The hand-written reader and writer agree with Jackson on what they share. */
class FlatJsonTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void stringsAreEscapedAsJacksonEscapesThem() throws Exception {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0x3000; c++) {
            all.append(c);
        }
        all.append("\uD83D\uDE00 \u2028 \uFFFF");
        String s = all.toString();
        assertEquals(MAPPER.writeValueAsString(s), FlatJson.quote(s));
        assertEquals(s, FlatJson.parse("{\"s\":" + FlatJson.quote(s) + "}").get("s"));
        assertEquals(s, FlatJson.parse("{\"s\":" + MAPPER.writeValueAsString(s) + "}").get("s"));
    }

    @Test
    void readsScalarsAndKeepsNestedValuesAsText() throws Exception {
        Map<String, Object> m = FlatJson.parse(
                " {\"a\" : \"x\\u00e9\\n\\/\", \"n\":-42,\"big\":12345678901234567890, \"f\":1.5e3,"
                        + " \"t\":true,\"no\":false,\"z\":null, \"o\":{\"k\":[1,{\"q\":\"}]\"}]},\"e\":[] }\n");
        assertEquals("x\u00e9\n/", m.get("a"));
        assertEquals(-42L, m.get("n"));
        assertEquals(new FlatJson.Raw("12345678901234567890"), m.get("big"));
        assertEquals(new FlatJson.Raw("1.5e3"), m.get("f"));
        assertEquals(true, m.get("t"));
        assertEquals(false, m.get("no"));
        assertNull(m.get("z"));
        assertEquals(true, m.containsKey("z"));
        assertEquals("{\"k\":[1,{\"q\":\"}]\"}]}", FlatJson.raw(m, "o"));
        assertEquals(MAPPER.readTree("{\"k\":[1,{\"q\":\"}]\"}]}"), MAPPER.readTree(FlatJson.raw(m, "o")));
        assertEquals("[]", FlatJson.raw(m, "e"));
        assertEquals(Map.of(), FlatJson.parse("{}"));
    }

    @Test
    void malformedInputIsAnErrorNotAGuess() {
        for (String bad : new String[] {"", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1} x",
                "{\"a\":\"unterminated}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":{\"b\":1}", "{a:1}"}) {
            assertThrows(IOException.class, () -> FlatJson.parse(bad), bad);
        }
        assertThrows(IOException.class, () -> FlatJson.string(Map.of("a", 1L), "a"));
        assertThrows(IOException.class, () -> FlatJson.integer(Map.of("a", 1L << 40), "a"));
    }

    @Test
    void writesCompactAndIndentedObjectsAsJacksonDid() throws Exception {
        Map<String, String> ann = new LinkedHashMap<>();
        ann.put("k\"1", "v\n");
        ann.put("k2", "");
        String compact = new FlatJson.Writer().field("s", "x").field("skipped", (String) null).field("n", 7L)
                .field("i", 3).field("b", false).field("m", ann).fieldOrNull("z", null).rawField("r", "[1,2]").end();
        assertEquals("{\"s\":\"x\",\"n\":7,\"i\":3,\"b\":false,\"m\":{\"k\\\"1\":\"v\\n\",\"k2\":\"\"},\"z\":null,\"r\":[1,2]}",
                compact);
        assertEquals(MAPPER.readTree(compact), MAPPER.readTree(MAPPER.writeValueAsString(MAPPER.readTree(compact))));
        String pretty = new FlatJson.Writer("  ").field("a", "b").field("m", ann).field("e", Map.of()).end();
        assertEquals("{\n  \"a\": \"b\",\n  \"m\": {\n    \"k\\\"1\": \"v\\n\",\n    \"k2\": \"\"\n  },\n  \"e\": {}\n}", pretty);
        assertEquals("{}", new FlatJson.Writer("  ").end());
    }
}
