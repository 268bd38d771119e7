package org.pytorch.executorch;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
public abstract class Tensor {
  public static ByteBuffer allocateByteBuffer(int numElements) { throw new RuntimeException("stub"); }
  public static FloatBuffer allocateFloatBuffer(int numElements) { throw new RuntimeException("stub"); }
  public static Tensor fromBlobUnsigned(ByteBuffer data, long[] shape) { throw new RuntimeException("stub"); }
  public static Tensor fromBlob(FloatBuffer data, long[] shape) { throw new RuntimeException("stub"); }
  public long[] shape() { throw new RuntimeException("stub"); }
  public float[] getDataAsFloatArray() { throw new RuntimeException("stub"); }
  public byte[] getDataAsUnsignedByteArray() { throw new RuntimeException("stub"); }
}
