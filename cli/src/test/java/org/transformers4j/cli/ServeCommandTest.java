package org.transformers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.cli.MainTest.run;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** t4j serve from the command line: its options, and a real server in its own JVM stopped by SIGTERM. */
class ServeCommandTest {
    @Test
    void badOptionsAreUsageErrors() {
        MainTest.Run r = run("serve", "--port", "70000");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("--port must be between 0 and 65535"), r.err());
        r = run("serve", "--max-rows", "0");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("maxRows must be >= 1"), r.err());
    }

    @Test
    void servesTheDefaultModelUntilSigterm() throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--port", "0");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String url = null;
            for (String line; url == null && (line = out.readLine()) != null; ) {
                if (line.contains("listening on ")) {
                    url = line.substring(line.indexOf("http://"));
                }
            }
            assertTrue(url != null, "the server started");
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url
                    + "/v1/embeddings")).POST(HttpRequest.BodyPublishers.ofString("{\"input\": \"a text\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("\"model\":\"all-MiniLM-L6-v2\""), r.body());
            new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the server stopped");
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }
}
