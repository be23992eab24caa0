package org.transformers4j.serve;

import java.time.Duration;

/**
 * Where the server listens and what one request may ask for.
 *
 * @param host         the address to bind (127.0.0.1 by default: only this machine)
 * @param port         the port, or 0 for any free one
 * @param maxBodyBytes the largest request body
 * @param maxInputs    most texts (or prompts) in one request
 * @param maxNewTokens most tokens one completion may ask for (max_tokens)
 * @param grace        how long a shutdown lets running requests finish
 */
public record ServerOptions(String host, int port, long maxBodyBytes, int maxInputs, int maxNewTokens, Duration grace) {

    /** 127.0.0.1:8080, 4 MiB bodies, 2,048 inputs, 4,096 new tokens, 30 s of grace. */
    public static ServerOptions defaults() {
        return new ServerOptions("127.0.0.1", 8080, 4L << 20, 2048, 4096, Duration.ofSeconds(30));
    }

    public ServerOptions {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be from 0 to 65535, got " + port);
        }
        if (maxBodyBytes < 1 || maxInputs < 1 || maxNewTokens < 1) {
            throw new IllegalArgumentException("limits must be >= 1: maxBodyBytes " + maxBodyBytes + ", maxInputs "
                    + maxInputs + ", maxNewTokens " + maxNewTokens);
        }
        if (grace == null || grace.isNegative()) {
            throw new IllegalArgumentException("grace must be >= 0, got " + grace);
        }
    }

    public ServerOptions withHost(String h) {
        return new ServerOptions(h, port, maxBodyBytes, maxInputs, maxNewTokens, grace);
    }

    public ServerOptions withPort(int p) {
        return new ServerOptions(host, p, maxBodyBytes, maxInputs, maxNewTokens, grace);
    }

    public ServerOptions withMaxInputs(int n) {
        return new ServerOptions(host, port, maxBodyBytes, n, maxNewTokens, grace);
    }

    public ServerOptions withMaxBodyBytes(long n) {
        return new ServerOptions(host, port, n, maxInputs, maxNewTokens, grace);
    }

    public ServerOptions withGrace(Duration d) {
        return new ServerOptions(host, port, maxBodyBytes, maxInputs, maxNewTokens, d);
    }
}
