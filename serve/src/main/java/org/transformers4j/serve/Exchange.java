package org.transformers4j.serve;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** One HTTP request and its response, as a handler reads and answers it (blocking, on a virtual thread). */
final class Exchange {
    static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    final Request request;
    final Response response;
    final Callback callback;
    private final long maxBodyBytes;
    int status = 200;

    Exchange(Request request, Response response, Callback callback, long maxBodyBytes) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** The body as UTF-8 text, refused with 413 above the limit. */
    String body() {
        long declared = request.getLength();
        if (declared > maxBodyBytes) {
            throw tooLarge(declared);
        }
        try (InputStream in = Request.asInputStream(request)) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
            if (bytes.length > maxBodyBytes) {
                throw tooLarge(bytes.length);
            }
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ApiError(400, "invalid_request_error", null, null, "The body could not be read: " + e.getMessage());
        }
    }

    private ApiError tooLarge(long bytes) {
        return new ApiError(413, "invalid_request_error", null, null, "The body of " + bytes
                + " bytes is larger than the " + maxBodyBytes + " this server takes");
    }

    /** Answers with a JSON value and ends the exchange. */
    void json(int code, JsonElement value) {
        send(code, "application/json", GSON.toJson(value));
    }

    /** Answers with text of a content type and ends the exchange. */
    void send(int code, String contentType, String text) {
        status = code;
        response.setStatus(code);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType + "; charset=utf-8");
        Content.Sink.write(response, true, text, callback);
    }

    /** Starts a server-sent-event stream; the caller writes events and closes it, then calls {@link #done()}. */
    OutputStream events() {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        return Content.Sink.asOutputStream(response);
    }

    /** One event: {@code data: TEXT} and a blank line, sent at once. */
    static void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    void done() {
        callback.succeeded();
    }
}
