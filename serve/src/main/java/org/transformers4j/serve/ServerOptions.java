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
 * @param maxConcurrent most requests handled at once (their bodies are in memory); more get 429
 * @param timeout      how long a request may wait for its answer, queue included (then 504)
 */
public record ServerOptions(String host, int port, long maxBodyBytes, int maxInputs, int maxNewTokens, Duration grace,
                            int maxConcurrent, Duration timeout) {

    /**
     * 127.0.0.1:8080, 4 MiB bodies, 2,048 inputs, 4,096 new tokens, 30 s of grace, 256 requests at
     * once, 10 minutes a request.
     */
    public static ServerOptions defaults() {
        return new ServerOptions("127.0.0.1", 8080, 4L << 20, 2048, 4096, Duration.ofSeconds(30), 256,
                Duration.ofMinutes(10));
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
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("maxConcurrent must be >= 1, got " + maxConcurrent);
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
    }

    public ServerOptions withHost(String h) {
        return new ServerOptions(h, port, maxBodyBytes, maxInputs, maxNewTokens, grace, maxConcurrent, timeout);
    }

    public ServerOptions withPort(int p) {
        return new ServerOptions(host, p, maxBodyBytes, maxInputs, maxNewTokens, grace, maxConcurrent, timeout);
    }

    public ServerOptions withMaxInputs(int n) {
        return new ServerOptions(host, port, maxBodyBytes, n, maxNewTokens, grace, maxConcurrent, timeout);
    }

    public ServerOptions withMaxBodyBytes(long n) {
        return new ServerOptions(host, port, n, maxInputs, maxNewTokens, grace, maxConcurrent, timeout);
    }

    public ServerOptions withGrace(Duration d) {
        return new ServerOptions(host, port, maxBodyBytes, maxInputs, maxNewTokens, d, maxConcurrent, timeout);
    }

    public ServerOptions withMaxNewTokens(int n) {
        return new ServerOptions(host, port, maxBodyBytes, maxInputs, n, grace, maxConcurrent, timeout);
    }

    public ServerOptions withMaxConcurrent(int n) {
        return new ServerOptions(host, port, maxBodyBytes, maxInputs, maxNewTokens, grace, n, timeout);
    }

    public ServerOptions withTimeout(Duration d) {
        return new ServerOptions(host, port, maxBodyBytes, maxInputs, maxNewTokens, grace, maxConcurrent, d);
    }
}
