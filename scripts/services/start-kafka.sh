#!/usr/bin/env bash
# start-kafka.sh <port> <dir> [controller-port]
# Starts a single-node KRaft Kafka (broker + controller in one JVM) on 127.0.0.1:<port>, with its
# data, config, log and pid file in <dir>. Formats the storage only on first start, so calling it
# again with the same <dir> after stop-kafka.sh restarts the same broker with its data (the
# controller port is remembered in <dir>). Returns once the broker accepts connections.
# Needs install-kafka.sh to have run.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: start-kafka.sh <port> <dir> [controller-port]" >&2
  exit 2
fi
port="$1"
dir="$(mkdir -p "$2" && cd "$2" && pwd)"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
libs="$root/.tools/kafka/libs"
pidfile="$dir/kafka.pid"
logfile="$dir/kafka.log"
start_timeout_s="${KAFKA_START_TIMEOUT_S:-60}"

if ! compgen -G "$libs/kafka_2.13-*.jar" >/dev/null; then
  echo "start-kafka: no Kafka jars in $libs; run scripts/services/install-kafka.sh first" >&2
  exit 1
fi
if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "start-kafka: already running (pid $(cat "$pidfile")) for $dir" >&2
  exit 1
fi

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

if [[ -f "$dir/controller.port" ]]; then
  controller_port="$(cat "$dir/controller.port")"
else
  controller_port="${3:-$(free_port)}"
  echo "$controller_port" > "$dir/controller.port"
fi

# Short timeouts and a single replica suit tests: groups rebalance in about a second, and internal
# topics need no more than this one broker.
cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controller_port}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${dir}/data
num.partitions=4
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
controlled.shutdown.enable=true
PROPS

cat > "$dir/log4j2.properties" <<'LOG'
status = warn
appender.file.type = Console
appender.file.name = out
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.out.ref = out
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = info
LOG

# Tuned for a fast start on small machines: C1-only JIT and the serial GC start in about half the
# CPU time of the defaults, and a test broker never runs long enough for C2 to pay off.
# KAFKA_JAVA_OPTS replaces these (e.g. for a benchmark: "-Xmx1g -XX:+UseG1GC").
read -r -a java_opts <<<"${KAFKA_JAVA_OPTS:--Xms128m -Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k}"
java_opts+=(-Djava.awt.headless=true "-Dlog4j2.configurationFile=$dir/log4j2.properties")

if [[ ! -f "$dir/data/meta.properties" ]]; then
  # A KRaft cluster id is 16 random bytes in URL-safe base64 without padding (Uuid.randomUuid()).
  cluster_id="$(node -e 'console.log(require("crypto").randomBytes(16).toString("base64url"))')"
  java "${java_opts[@]}" -cp "$libs/*" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$dir/server.properties" --ignore-formatted >>"$logfile" 2>&1 \
    || { echo "start-kafka: formatting storage failed, see $logfile" >&2; tail -20 "$logfile" >&2; exit 1; }
fi

nohup java "${java_opts[@]}" -cp "$libs/*" kafka.Kafka "$dir/server.properties" >>"$logfile" 2>&1 </dev/null &
pid=$!
echo "$pid" > "$pidfile"

deadline=$((SECONDS + start_timeout_s))
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start-kafka: broker exited during start, see $logfile" >&2
    tail -30 "$logfile" >&2
    rm -f "$pidfile"
    exit 1
  fi
  if (( SECONDS >= deadline )); then
    echo "start-kafka: broker did not accept connections on port $port within ${start_timeout_s}s, see $logfile" >&2
    exit 1
  fi
  sleep 0.2
done
if [[ -n "${WHISKFLOW_OWNER_PID:-}" ]]; then
  # Detached from this script's output, so callers waiting for it to finish are not held.
  nohup "$(dirname "${BASH_SOURCE[0]}")/watch-owner.sh" "$WHISKFLOW_OWNER_PID" "$pid" >/dev/null 2>&1 </dev/null &
fi
echo "start-kafka: 127.0.0.1:$port (pid $pid, dir $dir)"
