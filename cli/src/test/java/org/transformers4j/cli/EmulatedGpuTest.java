package org.transformers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU backend itself (CudaBackend: device memory, cuBLAS calls, streams, the bindings) on a
 * machine without a GPU: each check runs in a fresh JVM whose CUDA toolkit is the native build's
 * emulated one (native/tests/emu: the CUDA kernels compiled for the CPU, host memory as device
 * memory, a reference GEMM as cuBLAS). The same commands as bench/gpu/run.sh on a GPU: the demo,
 * the bad-input checks, and verify on every model fixture in float32, float16 and bfloat16; and
 * the main job (similarity on all-MiniLM-L6-v2), generation (greedy and beams; GPT-2, GPT-Neo,
 * Llama, Qwen2, Gemma, Phi-3) and translation (T5, BART, Marian, mBART, Pegasus) through the commands, whose
 * output must be the CPU's.
 */
class EmulatedGpuTest {
    static final Path TOOLKIT = Path.of("../java/target/native/emu-toolkit").toAbsolutePath().normalize();
    static final Path KERNELS = TOOLKIT.resolve("lib64/libt4j_cuda_emulated.so");

    record Run(int status, String out) {
    }

    static Run onEmulatedGpu(String mainClass, String... args) throws IOException, InterruptedException {
        assumeTrue(Files.isRegularFile(KERNELS), "no emulated CUDA toolkit (built where a C++ compiler is): " + KERNELS);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-D" + "t4j.cuda.kernels=" + KERNELS,
                "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("CUDA_HOME", TOOLKIT.toString());
        pb.environment().remove("CUDA_PATH");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        Run r = new Run(p.waitFor(), out);
        assertFalse(out.contains("running on the CPU"), "fell back to the CPU:\n" + out);
        return r;
    }

    @Test
    void demoRunsEveryKernelOnTheEmulatedGpu() throws Exception {
        Run r = onEmulatedGpu("org.transformers4j.cli.Main", "demo", "cuda:0");
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("backend: cuda on cuda:0") && r.out().contains("GEMM:    cuBLAS"), r.out());
        assertTrue(r.out().contains("(ok)"), r.out());
    }

    @Test
    void theMainJobGivesTheCpusScoresOnTheGpu() throws Exception {
        String[] texts = {"How do transformers work?", "What is attention?", "A recipe for paella", ""};
        List<String> gpuArgs = new ArrayList<>(List.of("similarity", "--device", "cuda:0"));
        gpuArgs.addAll(List.of(texts));
        Run gpu = onEmulatedGpu("org.transformers4j.cli.Main", gpuArgs.toArray(String[]::new));
        List<String> cpuArgs = new ArrayList<>(List.of("similarity"));
        cpuArgs.addAll(List.of(texts));
        MainTest.Run cpu = MainTest.run(cpuArgs.toArray(String[]::new));
        assertEquals(0, gpu.status(), gpu.out());
        assertEquals(0, cpu.status(), cpu.out());
        List<String> gpuLines = scoreLines(gpu.out()), cpuLines = scoreLines(cpu.out());
        assertEquals(3, cpuLines.size(), cpu.out());
        assertEquals(cpuLines, gpuLines, "scores on the GPU:\n" + gpu.out() + "\non the CPU:\n" + cpu.out());
    }

    @Test
    void generationAndTranslationGiveTheCpusTokensOnTheGpu(@TempDir Path tmp) throws Exception {
        List<List<String>> commands = new ArrayList<>();
        for (String model : new String[] {"gpt2", "gpt-neo", "llama", "qwen2", "gemma", "phi3"}) {
            String dir = MainTest.withWordTokenizer(tmp, model).toString();
            commands.add(List.of("generate", "--model", dir, "--max-new-tokens", "6", "w428 w603 w230 w127 w522"));
            commands.add(List.of("generate", "--model", dir, "--max-new-tokens", "6", "--beams", "3", "w428 w603"));
        }
        for (String model : new String[] {"t5", "bart", "marian", "mbart", "pegasus"}) {
            String dir = MainTest.withWordTokenizer(tmp, model).toString();
            commands.add(List.of("translate", "--model", dir, "--max-new-tokens", "4", "w513 w344 w726", "w770 w126"));
        }
        for (List<String> command : commands) {
            MainTest.Run cpu = MainTest.run(command.toArray(String[]::new));
            List<String> onGpu = new ArrayList<>(command);
            onGpu.addAll(1, List.of("--device", "cuda:0"));
            Run gpu = onEmulatedGpu("org.transformers4j.cli.Main", onGpu.toArray(String[]::new));
            assertEquals(0, cpu.status(), cpu.out());
            assertEquals(0, gpu.status(), gpu.out());
            assertEquals(cpu.out().strip(), gpu.out().strip(), String.join(" ", command));
        }
    }

    private static List<String> scoreLines(String out) {
        return out.lines().filter(l -> l.matches("-?[0-9]+\\.[0-9]+ .*")).toList();
    }

    @Test
    void threadsSharingOneEmbedderOnTheGpuGetWhatOneThreadGets() throws Exception {
        Run r = onEmulatedGpu("org.transformers4j.cli.GpuThreadsCheck");
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("threads ok") && r.out().contains("cuda:0"), r.out());
    }

    @Test
    void badInputOnTheGpuGivesExceptionsAndTheDeviceStaysUsable() throws Exception {
        Run r = onEmulatedGpu("org.transformers4j.verify.CudaChecks");
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("all GPU checks passed"), r.out());
    }

    @Test
    void everyFixturePassesOnTheGpuInEachPrecision() throws Exception {
        List<Path> models;
        try (Stream<Path> dirs = Files.list(MainTest.FIXTURES)) {
            models = dirs.filter(d -> Files.isRegularFile(d.resolve("reference.safetensors"))).sorted().toList();
        }
        assertEquals(20, models.size(), "model fixtures: " + models);
        for (Path dir : models) {
            for (String dtype : new String[] {"f32", "f16", "bf16"}) {
                Run r = onEmulatedGpu("org.transformers4j.cli.Main", "verify", "--device", "cuda:0", "--dtype", dtype,
                        "--model", dir.toString(), "--reference", dir.resolve("reference.safetensors").toString());
                assertEquals(0, r.status(), dir.getFileName() + " in " + dtype + ":\n" + r.out());
                assertTrue(r.out().contains(dtype.equals("f32") ? "all outputs within" : "top-1 within bounds"),
                        dir.getFileName() + " in " + dtype + ":\n" + r.out());
            }
        }
    }
}
