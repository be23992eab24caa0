package org.transformers4j.backend.cuda;

/** A call into the CUDA runtime, cuBLAS or libt4j_cuda failed; the message names the call and the error. */
public class CudaException extends RuntimeException {
    /**
     * An exception with the given message.
     *
     * @param message the failed call and the error's name and description
     */
    public CudaException(String message) {
        super(message);
    }
}
