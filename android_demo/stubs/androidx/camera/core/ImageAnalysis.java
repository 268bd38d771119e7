package androidx.camera.core;
import java.util.concurrent.Executor;
public final class ImageAnalysis extends UseCase {
  public static final int STRATEGY_KEEP_ONLY_LATEST = 0;
  public static final int OUTPUT_IMAGE_FORMAT_YUV_420_888 = 1;
  public interface Analyzer { void analyze(ImageProxy image); }
  public void setAnalyzer(Executor executor, Analyzer analyzer) { throw new RuntimeException("stub"); }
  public void clearAnalyzer() { throw new RuntimeException("stub"); }
  public static final class Builder {
    public Builder() { throw new RuntimeException("stub"); }
    public Builder setBackpressureStrategy(int strategy) { throw new RuntimeException("stub"); }
    public Builder setOutputImageFormat(int outputImageFormat) { throw new RuntimeException("stub"); }
    public ImageAnalysis build() { throw new RuntimeException("stub"); }
  }
}
