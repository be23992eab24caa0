/**
 * The jextract bindings of the native libraries (t4j.h, cblas.h and, where built, CUDA). Generated
 * code, never edited by hand; open only to the library itself.
 */
module org.transformers4j.bindings {
    exports org.transformers4j.bindings.cpu to org.transformers4j;
    exports org.transformers4j.bindings.openblas to org.transformers4j;
    exports org.transformers4j.bindings.cuda to org.transformers4j;
    exports org.transformers4j.bindings.cudart to org.transformers4j;
    exports org.transformers4j.bindings.cublas to org.transformers4j;
}
