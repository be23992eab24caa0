package org.transformers4j.tokenizer;

import java.util.List;

/**
 * Texts tokenized and padded to the longest: row-major [batch, seq] ids, attention mask
 * (1 = real token) and type ids, with each text's own encoding.
 */
public record BatchEncoding(int batch, int seq, long[] ids, long[] attentionMask, long[] typeIds,
                            List<Encoding> encodings) {
}
