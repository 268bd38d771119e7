package android.graphics;
public final class Bitmap {
  public enum Config { ALPHA_8, RGB_565, ARGB_8888 }
  public static Bitmap createBitmap(int width, int height, Config config) { throw new RuntimeException("stub"); }
  public void setPixels(int[] pixels, int offset, int stride, int x, int y, int width, int height) { throw new RuntimeException("stub"); }
  public final int getWidth() { throw new RuntimeException("stub"); }
  public final int getHeight() { throw new RuntimeException("stub"); }
}
