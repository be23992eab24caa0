package org.transformers4j.backend.cuda;

/** A call into the CUDA runtime, cuBLAS or libt4j_cuda failed; the message names the call and the error. */
public class CudaException extends RuntimeException {
    public CudaException(String message) {
        super(message);
    }
}
