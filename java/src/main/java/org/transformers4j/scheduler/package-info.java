/**
 * Sharing one model among many threads: {@link org.transformers4j.scheduler.Schedulers}
 * puts a pipeline behind a scheduler that batches the requests of any number of threads (virtual ones
 * too) and is the only thread that runs the model. Requests return futures or, for generation,
 * a {@link org.transformers4j.scheduler.GenerationStream}; {@link org.transformers4j.scheduler.SchedulerMetrics}
 * counts what a scheduler did.
 */
package org.transformers4j.scheduler;
