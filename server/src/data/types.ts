// The data layer's vocabulary: examples as flat typed arrays (what training
// and gradient checks consume without copying) and errors as values, so a bad
// file becomes a message for the user instead of an exception in the server.

/** Image geometry of each row. Rows are channel-planar (all of channel 0, then channel 1, …), as CIFAR-10 stores them. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

export interface Examples {
  /** Row-major n×d inputs. */
  X: Float32Array;
  /** Class index of each row, 0 ≤ y[i] < classes. */
  y: Int32Array;
  n: number;
  d: number;
  classes: number;
  image?: ImageShape;
  /** When the rows are images plus extra columns (the bias trick): the image the first columns hold. */
  imageColumns?: ImageShape;
  /** Names of the classes by index, when the source has them (CIFAR-10, string labels in a CSV). */
  classNames?: string[];
  /**
   * Set when the inputs are bytes as the file stores them (IDX images): X is
   * made from them on its first read. Splits, value transforms, summaries
   * and the rows a gradient check takes work from the bytes
   * (stored-bytes.ts).
   */
  stored?: StoredBytes;
}

export interface StoredBytes {
  /** n rows of `width` bytes. */
  bytes: Uint8Array;
  width: number;
  /** The float32 value of each byte value. */
  table: Float32Array;
  /** Subtracted from each column's values (the training mean), when set. */
  offsets?: Float32Array;
  /** A column of ones after the stored ones (the bias trick): d = width + 1. */
  bias: boolean;
}

export type SplitName = "train" | "val" | "test";

/** A data set's parts; `val` only exists after a split. */
export interface Splits {
  train: Examples;
  val?: Examples;
  test?: Examples;
}

/**
 * A problem with the data, worded for the user: the message names the file and
 * the byte offset or line; the fields repeat them for tools that want to link.
 */
export interface DataError {
  message: string;
  /** The path as it was given to the loader. */
  file?: string;
  /** Offset into the file's (decompressed) contents. */
  byteOffset?: number;
  /** 1-based line, for text formats. */
  line?: number;
  /** Set when the file at fault is one a split setting names (`test "t10k"`), so the message can sit on that setting. */
  split?: SplitName;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: DataError };

export interface LoadOptions {
  /** Refuse, before allocating, a data set whose float32 inputs and int32 labels would take more bytes than this. */
  maxBytes?: number;
  /** Multiplies every input value while converting (e.g. 1/255 for pixels): cheaper than a separate pass. */
  scale?: number;
}
