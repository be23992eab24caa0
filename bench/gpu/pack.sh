#!/usr/bin/env bash
# Makes what the GPU machine needs to run the Java side, since it has neither Java nor a registry:
# target/gpu-carry.tgz holding
#   gpu-carry/jdk    a JDK 25 runtime made with jlink (java.base and java.logging)
#   gpu-carry/lib    the library's jars, gson and picocli (the command line's parser); the rest of the class
#                    path is not needed there (no tokenizer: verify and time run on token ids)
# Run it as `./t4j gpu-pack` (which builds the jars and finds the JDK first); carry
# target/gpu-carry.tgz with the tree, then run bench/gpu/run.sh there. About 21 MB.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/target/gpu-carry"
jdk="${JAVA_HOME:?run this through ./t4j gpu-pack, or set JAVA_HOME to a JDK 25}"
rm -rf "$out" "$out.tgz"
mkdir -p "$out/lib"
# the modules' jars by their paths: classpath.txt names their classes folders after a test run
jars=("$root/cli/target/t4j-cli.jar" "$root/java/target/transformers4j.jar" "$root/bindings/target/t4j-bindings.jar")
for name in gson picocli; do
    mapfile -t found < <(tr ':' '\n' < "$root/cli/target/classpath.txt" | grep -e "/$name-[0-9.]*\.jar$" || true)
    [ "${#found[@]}" -eq 1 ] || { echo "pack.sh: expected one $name jar on the CLI's class path, found ${#found[@]}" >&2; exit 1; }
    jars+=("${found[0]}")
done
for jar in "${jars[@]}"; do
    [ -f "$jar" ] || { echo "pack.sh: $jar is missing (./t4j gpu-pack builds it)" >&2; exit 1; }
    cp "$jar" "$out/lib/"
done
"$jdk/bin/jlink" --add-modules java.base,java.logging --strip-debug --no-header-files --no-man-pages \
    --output "$out/jdk"
tar -C "$root/target" -czf "$out.tgz" gpu-carry
ls -la "$out.tgz"
