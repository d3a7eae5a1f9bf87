// The fixed part of every exported JAX script: reading and preparing the
// examples, the minibatch sampler, the optimizers and schedules, the sharded
// training step, and the run folder. Each piece restates one of ours in Python
// and names it: data/idx.ts and data/prepare.ts (splits by count, scaling,
// the training mean, the bias trick; data/cifar10.ts, data/npy.ts), data/random.ts and data/batches.ts
// (mulberry32, Fisher-Yates, one permutation per epoch), train/optimizers.ts,
// train/schedules.ts, train/trainer.ts (divergence, evaluation, best weights)
// and train/run-store.ts (meta.json, curve.csv, curve.json, final.json).
// jax-script.ts puts CONFIG and the model's functions in front of it.
export const jaxRuntime = String.raw`
# ---- command line -------------------------------------------------------------

def parse_arguments():
    parser = argparse.ArgumentParser(description="Train run " + CONFIG["run"] + " of " + CONFIG["file"] + " in JAX, data-parallel over every device.")
    parser.add_argument("--steps", type=int, help="stop after this many steps (the schedule still spans the run's own length)")
    parser.add_argument("--x64", action="store_true", help="compute in float64 (jax_enable_x64), as the reference executor does")
    parser.add_argument("--runs", default=os.path.join(HERE, "runs"), help="the runs folder to save the run in (default: runs/ beside this script)")
    parser.add_argument("--data", help="the IDX or CIFAR-10 folder, when it is not where the .optim file said")
    parser.add_argument("--coordinator", default=os.environ.get("OPTIM_COORDINATOR"), help="host:port of process 0, to train across machines (or OPTIM_COORDINATOR)")
    parser.add_argument("--num-processes", type=int, default=int(os.environ.get("OPTIM_NUM_PROCESSES", "0")) or None, help="how many processes take part (or OPTIM_NUM_PROCESSES)")
    parser.add_argument("--process-id", type=int, default=int(os.environ["OPTIM_PROCESS_ID"]) if "OPTIM_PROCESS_ID" in os.environ else None, help="this process's number, 0 to num-processes - 1 (or OPTIM_PROCESS_ID)")
    parser.add_argument("--distributed", action="store_true", help="call jax.distributed.initialize() with no arguments (clusters JAX detects itself, such as Slurm or Cloud TPU)")
    return parser.parse_args()


ARGS = parse_arguments()
import jax

if ARGS.x64:
    jax.config.update("jax_enable_x64", True)
# Full-precision matrix products on every device (not TF32), as our executors compute.
jax.config.update("jax_default_matmul_precision", "highest")
if ARGS.coordinator:
    jax.distributed.initialize(coordinator_address=ARGS.coordinator, num_processes=ARGS.num_processes, process_id=ARGS.process_id)
elif ARGS.distributed:
    jax.distributed.initialize()
import jax.numpy as jnp
from jax.sharding import Mesh, NamedSharding, PartitionSpec

DTYPE = jnp.float64 if ARGS.x64 else jnp.float32
NP_DTYPE = np.float64 if ARGS.x64 else np.float32


def as_matrix(a):
    """A number as 1x1 and a vector as one row, as the reference's reductions see them."""
    return jnp.reshape(a, (1, -1)) if a.ndim < 2 else a


# ---- examples (data/idx.ts, data/prepare.ts) ------------------------------------

def idx_file(folder, name):
    for candidate in (os.path.join(folder, name), os.path.join(folder, name + ".gz")):
        if os.path.isfile(candidate):
            return candidate
    return None


def read_idx(path):
    """An IDX file of unsigned bytes, plain or gzipped, as rows of bytes."""
    with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as stream:
        content = stream.read()
    if content[0] != 0 or content[1] != 0 or content[2] != 0x08:
        sys.exit(path + ": not an IDX file of unsigned bytes")
    rank = content[3]
    dims = [int.from_bytes(content[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    values = np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * rank)
    return values.reshape(dims[0], -1) if rank > 1 else values


def idx_pair(folder, prefix):
    images = idx_file(folder, prefix + "-images-idx3-ubyte")
    labels = idx_file(folder, prefix + "-labels-idx1-ubyte")
    if images is None or labels is None:
        return None
    return read_idx(images), read_idx(labels).astype(np.int32)


def idx_splits(folder):
    train = idx_pair(folder, "train")
    if train is None:
        sys.exit("no train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz] in " + folder + " (--data names the folder)")
    return train, idx_pair(folder, "t10k")


def cifar10_batches(paths):
    """Records of one label byte and 3,072 pixel bytes (the red plane, then green, then blue), in the order given."""
    records = np.concatenate([np.fromfile(path, dtype=np.uint8).reshape(-1, 3073) for path in paths])
    return records[:, 1:], records[:, 0].astype(np.int32)


def cifar10_splits(folder):
    """data_batch_1.bin to data_batch_5.bin, those present, as train; test_batch.bin as test."""
    train = [os.path.join(folder, "data_batch_%d.bin" % k) for k in range(1, 6) if os.path.isfile(os.path.join(folder, "data_batch_%d.bin" % k))]
    if not train:
        sys.exit("no CIFAR-10 training batches (data_batch_1.bin ... data_batch_5.bin) in " + folder + " (--data names the folder)")
    test = os.path.join(folder, "test_batch.bin")
    return cifar10_batches(train), (cifar10_batches([test]) if os.path.isfile(test) else None)


def npy_splits(source):
    """Inputs flattened to rows of float32 and whole-number labels; the file has no test split of its own."""
    inputs = np.load(source["inputs"])
    return (inputs.reshape(inputs.shape[0], -1).astype(np.float32), np.load(source["labels"]).reshape(-1).astype(np.int32)), None


def load_source(source):
    """The splits of an IDX or CIFAR-10 folder or of .npy files as our data layer makes them: counts, first, scale, training mean, bias trick."""
    if source["kind"] == "npy":
        train, own_test = npy_splits(source)
    else:
        folder = ARGS.data or source["folder"]
        train, own_test = (idx_splits if source["kind"] == "idx" else cifar10_splits)(folder)
    counts = source["counts"]
    splits = {"train": train}
    if own_test is not None:
        splits["test"] = own_test
    if counts:
        # Train is the first rows, val the rows after it; test is the folder's own (its first rows when counted) or the rows after val.
        val = counts.get("val", 0)
        test = counts.get("test")
        carved = val + (0 if own_test is not None else (test or 0))
        train_count = counts.get("train", max(0, train[0].shape[0] - carved))
        rows, labels = train
        splits = {"train": (rows[:train_count], labels[:train_count])}
        end = train_count
        if val > 0:
            splits["val"] = (rows[end:end + val], labels[end:end + val])
            end += val
        if own_test is not None:
            splits["test"] = own_test if test is None else (own_test[0][:test], own_test[1][:test])
        elif test:
            splits["test"] = (rows[end:end + test], labels[end:end + test])
    if source.get("first") is not None:
        splits = {name: (rows[:source["first"]], labels[:source["first"]]) for name, (rows, labels) in splits.items()}
    factor = source.get("factor", 1.0)
    # Each value times the factor, rounded to float32 (bytes through a table of their 256 values).
    table = (np.arange(256, dtype=np.float64) * factor).astype(np.float32)
    prepared = {}
    for name, (rows, labels) in splits.items():
        width = rows.shape[1]
        values = np.empty((rows.shape[0], width + (1 if source["bias"] else 0)), np.float32)
        values[:, :width] = table[rows] if rows.dtype == np.uint8 else (rows.astype(np.float64) * factor).astype(np.float32)
        if source["bias"]:
            values[:, width] = 1
        prepared[name] = (values, labels)
    if source["center"]:
        # The training split's mean, summed in float64, rounded to float32, subtracted from every split.
        train_values = prepared["train"][0]
        width = train_values.shape[1] - (1 if source["bias"] else 0)
        mean = (train_values[:, :width].sum(axis=0, dtype=np.float64) / train_values.shape[0]).astype(np.float32)
        for values, _ in prepared.values():
            values[:, :width] -= mean
    return prepared


def load_arrays(source):
    return {name: (np.load(os.path.join(HERE, "data", name + "-X.npy")), np.load(os.path.join(HERE, "data", name + "-y.npy")).astype(np.int32)) for name in source["splits"]}


# ---- minibatches (data/random.ts, data/batches.ts) ------------------------------

class Mulberry32:
    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF

    def uniform(self):
        self.state = (self.state + 0x6D2B79F5) & 0xFFFFFFFF
        t = self.state
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t = (t ^ ((t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        return (t ^ (t >> 14)) / 4294967296

    def int(self, bound):
        return math.floor(self.uniform() * bound)


def permutation(n, rng):
    """Fisher-Yates from the last row down, as data/random.ts draws it."""
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.int(i + 1)
        order[i], order[j] = order[j], order[i]
    return np.array(order, dtype=np.int64)


class BatchSampler:
    """Every row once per epoch, in a new seeded order each epoch; an epoch's last batch may be shorter."""

    def __init__(self, n, seed):
        self.n = n
        self.rng = Mulberry32(seed)
        self.order = np.zeros(0, dtype=np.int64)
        self.position = 0

    def next_batch(self, size):
        if self.position >= len(self.order):
            self.order = permutation(self.n, self.rng)
            self.position = 0
        end = min(self.position + size, len(self.order))
        batch = self.order[self.position:end]
        self.position = end
        return batch


# ---- optimizers and schedules (train/optimizers.ts, train/schedules.ts) ---------

def update_rule(rule, s):
    """(slots, update): update(param, grad, first, second, lr, t) -> (param, first, second)."""
    if rule == "sgd":
        return lambda w, g, m, v, lr, t: (w - lr * g, m, v)
    if rule == "momentum":
        def momentum(w, g, m, v, lr, t):
            velocity = s["mu"] * m - lr * g
            return w + velocity, velocity, v
        return momentum
    if rule == "nesterov":
        def nesterov(w, g, m, v, lr, t):
            velocity = s["mu"] * m - lr * g
            return w + (-s["mu"] * m + (1 + s["mu"]) * velocity), velocity, v
        return nesterov
    if rule == "adagrad":
        def adagrad(w, g, m, v, lr, t):
            cache = v + g * g
            return w - (lr * g) / (jnp.sqrt(cache) + s["eps"]), m, cache
        return adagrad
    if rule == "rmsprop":
        def rmsprop(w, g, m, v, lr, t):
            cache = s["decay"] * v + (1 - s["decay"]) * g * g
            return w - (lr * g) / (jnp.sqrt(cache) + s["eps"]), m, cache
        return rmsprop
    if rule == "adam":
        def adam(w, g, m, v, lr, t):
            first = s["beta1"] * m + (1 - s["beta1"]) * g
            second = s["beta2"] * v + (1 - s["beta2"]) * g * g
            correction1 = 1 - s["beta1"] ** t
            correction2 = 1 - s["beta2"] ** t
            return w - (lr * (first / correction1)) / (jnp.sqrt(second / correction2) + s["eps"]), first, second
        return adam
    sys.exit("unknown optimizer rule " + rule)


def cosine_between(start, end, t, length):
    if length <= 0 or t >= length:
        return end
    return end + ((start - end) * (1 + math.cos((math.pi * t) / length))) / 2


def step_size(schedule, lr, t, total):
    a = schedule["args"]
    name = schedule["name"]
    if name == "constant":
        return lr
    if name == "step":
        return lr * math.pow(a["gamma"], math.floor(t / a["every"]))
    if name == "exponential":
        return lr * math.pow(a["gamma"], t)
    if name == "inverse_time":
        return lr / (1 + a["k"] * t)
    if name == "cosine":
        return cosine_between(lr, a["floor"], t, total)
    if name == "warmup":
        return lr * min(1, (t + 1) / a["steps"])
    if name == "one_cycle":
        peak = a["pct"] * total
        initial = lr / a["div"]
        if t < peak:
            return initial + ((lr - initial) * t) / peak
        return cosine_between(lr, lr / (a["div"] * 1e4), t - peak, total - peak)
    sys.exit("unknown schedule " + name)


# ---- devices: the batch split along its rows, everything else on every device ---

DEVICES = jax.devices()
MESH = Mesh(np.array(DEVICES), ("data",))
REPLICATED = NamedSharding(MESH, PartitionSpec())
BY_ROWS = NamedSharding(MESH, PartitionSpec("data"))


def place(array, sharding):
    """A global array from the same host array on every process: each process fills its own devices' parts."""
    return jax.make_array_from_callback(array.shape, sharding, lambda index: array[index])


def place_rows(X, y):
    # A batch whose rows do not divide among the devices goes whole to each of them.
    sharding = BY_ROWS if X.shape[0] % len(DEVICES) == 0 else REPLICATED
    return place(X, sharding), place(y, sharding)


def fetch(value):
    return np.asarray(value.addressable_data(0)) if hasattr(value, "addressable_data") else np.asarray(value)


# ---- training (train/trainer.ts) ------------------------------------------------

def main():
    optimizer = CONFIG["optimizer"]
    update = update_rule(optimizer["rule"], optimizer["settings"])
    source = CONFIG["source"]
    splits = load_arrays(source) if source["kind"] == "arrays" else load_source(source)
    rows = CONFIG["train"]["rows"]
    train_X, train_y = splits[CONFIG["train"]["split"]]
    train_X, train_y = train_X[:rows], train_y[:rows]

    def step(params, first, second, X, y, lr, t):
        loss, grads = jax.value_and_grad(loss_graph)(params, X, y)
        new_params, new_first, new_second, squares = {}, {}, {}, [0.0, 0.0, 0.0]
        for name in params:
            w, g = params[name], grads[name]
            new_params[name], new_first[name], new_second[name] = update(w, g, first[name], second[name], lr, t)
            squares = [squares[0] + jnp.sum(g * g), squares[1] + jnp.sum((new_params[name] - w) ** 2), squares[2] + jnp.sum(w * w)]
        return new_params, new_first, new_second, loss, jnp.stack(squares)

    def measure(params, X, y):
        loss = loss_graph(params, X, y)
        correct = jnp.sum(jnp.argmax(score_graph(params, X, y), axis=1) == y) if HAS_SCORE else jnp.asarray(0)
        return loss, correct

    train_step = jax.jit(step)
    measure_rows = jax.jit(measure)

    def evaluate_on(params, X, y):
        """Loss and accuracy in chunks of 2,000 rows, each chunk's mean loss weighted by its size."""
        loss_sum, correct = 0.0, 0
        for start in range(0, X.shape[0], 2000):
            chunk_X, chunk_y = place_rows(X[start:start + 2000].astype(NP_DTYPE), y[start:start + 2000])
            loss, right = measure_rows(params, chunk_X, chunk_y)
            loss_sum += float(fetch(loss)) * chunk_X.shape[0]
            correct += int(fetch(right))
        return loss_sum / X.shape[0], (correct / X.shape[0] if HAS_SCORE else None)

    def start_value(name):
        return np.load(os.path.join(HERE, "start", name + ".npy")).astype(NP_DTYPE)

    params = {p["name"]: place(start_value(p["name"]), REPLICATED) for p in CONFIG["params"]}
    first = {name: place(np.zeros(value.shape, NP_DTYPE), REPLICATED) for name, value in params.items()}
    second = {name: place(np.zeros(value.shape, NP_DTYPE), REPLICATED) for name, value in params.items()}
    evaluation = splits.get(CONFIG.get("evaluation")) if CONFIG.get("evaluation") else None
    test = splits.get(CONFIG.get("test")) if CONFIG.get("test") else None

    total = CONFIG["steps"]
    steps = min(total, ARGS.steps) if ARGS.steps is not None else total
    batch = optimizer["batch"]
    sampler = BatchSampler(rows, CONFIG["batchSeed"]) if CONFIG["batchSeed"] is not None else None
    whole = None if sampler else place_rows(train_X.astype(NP_DTYPE), train_y)
    writer = RunFolder() if jax.process_index() == 0 else None
    started = time.perf_counter()
    status, divergence, best, best_params = "finished", None, None, params
    smoothed, initial_loss, best_loss = None, None, math.inf
    alpha = min(0.1, max(0.01, batch / 1000))
    step_number = 0
    for step_number in range(steps):
        if sampler:
            chosen = sampler.next_batch(batch)
            X, y = place_rows(train_X[chosen].astype(NP_DTYPE), train_y[chosen])
        else:
            X, y = whole
        lr = step_size(optimizer["schedule"], optimizer["lr"], step_number, total)
        new_params, new_first, new_second, loss, squares = train_step(params, first, second, X, y, jnp.asarray(lr, DTYPE), jnp.asarray(step_number + 1, DTYPE))
        loss = float(fetch(loss))
        # Minibatch losses are noisy: a moving average against its best, ignoring bests under 1% of the start.
        smoothed = loss if smoothed is None else (1 - alpha) * smoothed + alpha * loss
        initial_loss = loss if initial_loss is None else initial_loss
        if not math.isfinite(loss) or (step_number > 1 / alpha and smoothed > 4 * max(best_loss, 0.01 * initial_loss)):
            status = "diverged"
            divergence = {"step": step_number, "loss": smoothed if math.isfinite(loss) else loss, "best": best_loss}
            if writer:
                writer.add({"step": step_number, "epoch": step_number * batch / rows, "seconds": time.perf_counter() - started, "loss": loss, "lr": lr})
            break
        best_loss = min(best_loss, smoothed)
        params, first, second = new_params, new_first, new_second
        gradient, change, weight = (float(x) for x in fetch(squares))
        point = {"step": step_number, "epoch": (step_number + 1) * batch / rows, "seconds": time.perf_counter() - started, "loss": loss, "lr": lr, "gradNorm": math.sqrt(gradient)}
        if weight > 0:
            point["updateRatio"] = math.sqrt(change / weight)
        if evaluation is not None and (step_number % CONFIG["evalEvery"] == 0 or step_number == steps - 1):
            point["evalLoss"], point["evalAccuracy"] = evaluate_on(params, *evaluation)
            if point["evalAccuracy"] is None:
                point.pop("evalAccuracy")
            better = (best is None or point["evalAccuracy"] > best["evalAccuracy"]) if HAS_SCORE else (best is None or point["evalLoss"] < best["evalLoss"])
            if better:
                best = {key: point[key] for key in ("step", "evalAccuracy", "evalLoss") if key in point}
                best_params = params
        if writer:
            writer.add(point)
    else:
        step_number = steps
    final_params = best_params if best is not None else params
    final = {}
    final["trainLoss"], final["trainAccuracy"] = evaluate_on(final_params, train_X, train_y)
    if evaluation is not None:
        final["evalLoss"], final["evalAccuracy"] = evaluate_on(final_params, *evaluation)
    if test is not None:
        final["testLoss"], final["testAccuracy"] = evaluate_on(final_params, *test)
    final = {key: value for key, value in final.items() if value is not None}
    result = {"status": status, "steps": step_number}
    if divergence:
        result["divergence"] = divergence
    if best:
        result["best"] = best
    result["final"] = final
    result["reported"] = {"weights": "best", "step": best["step"]} if best else {"weights": "final", "step": max(step_number - 1, 0)}
    if writer:
        writer.save_weights("final", step_number, {name: fetch(value) for name, value in params.items()})
        if best:
            writer.save_weights("best", best["step"] + 1, {name: fetch(value) for name, value in best_params.items()}, best)
        writer.finish(result)
        print(status + " after " + str(step_number) + " steps: train loss " + format(final["trainLoss"], ".4g") + "; saved in " + writer.folder)


# ---- the run folder (train/run-store.ts) ----------------------------------------

COLUMNS = ["step", "epoch", "seconds", "loss", "lr", "gradNorm", "updateRatio", "evalLoss", "evalAccuracy"]


class RunFolder:
    def __init__(self):
        started = datetime.datetime.now(datetime.timezone.utc)
        stamp = started.strftime("%Y%m%d-%H%M%S")
        os.makedirs(ARGS.runs, exist_ok=True)
        count = 1
        while True:
            self.folder = os.path.join(ARGS.runs, CONFIG["run"] + "-" + stamp + ("" if count == 1 else "-" + str(count)))
            try:
                os.mkdir(self.folder)
                break
            except FileExistsError:
                count += 1
        devices = str(len(DEVICES)) + " " + DEVICES[0].platform + " device" + ("s" if len(DEVICES) > 1 else "")
        meta = {"run": CONFIG["run"], "file": CONFIG["file"], "description": CONFIG["description"] + " (JAX export, " + devices + ", " + ("float64" if ARGS.x64 else "float32") + ")", "seed": CONFIG["seed"], "backend": "jax", "specHash": CONFIG["specHash"], "started": started.isoformat(timespec="milliseconds").replace("+00:00", "Z")}
        self.meta = meta
        self.write("meta.json", json.dumps(meta, indent=2) + "\n")
        self.write("curve.csv", ",".join(COLUMNS) + "\n")
        self.points = []

    def write(self, name, text, mode="w"):
        with open(os.path.join(self.folder, name), mode) as stream:
            stream.write(text)

    def add(self, point):
        self.points.append(point)
        self.write("curve.csv", ",".join("" if point.get(column) is None else repr(point[column]) for column in COLUMNS) + "\n", "a")
        if "evalLoss" in point:
            self.write("curve.json", json.dumps(self.points) + "\n")

    def save_weights(self, kind, steps, weights, best=None):
        """weights/best or weights/final as our runs keep them: one float32 .npy per param, listed in weights.json and meta.json (no optimizer state: such a run is not resumed)."""
        folder = os.path.join(self.folder, "weights", kind)
        os.makedirs(folder, exist_ok=True)
        params = [{"name": name, "shape": list(np.shape(value)), "file": re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".npy"} for name, value in weights.items()]
        for param in params:
            np.save(os.path.join(folder, param["file"]), np.asarray(weights[param["name"]], dtype=np.float32))
        listed = {"kind": kind, "steps": steps, "params": params}
        if best:
            listed["best"] = best
        with open(os.path.join(folder, "weights.json"), "w") as stream:
            stream.write(json.dumps(listed, indent=2) + "\n")
        self.meta["params"] = params
        self.meta.setdefault("weights", {})[kind] = dict(best, steps=steps) if best else {"steps": steps}
        self.write("meta.json", json.dumps(self.meta, indent=2) + "\n")

    def finish(self, result):
        self.write("curve.json", json.dumps(self.points) + "\n")
        result = dict(result, reportedWeights=result["reported"]["weights"], reportedStep=result["reported"]["step"])
        self.write("final.json", json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
`;
