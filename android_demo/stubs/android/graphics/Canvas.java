package android.graphics;
public class Canvas {
  public void drawLine(float startX, float startY, float stopX, float stopY, Paint paint) { throw new RuntimeException("stub"); }
  public void drawCircle(float cx, float cy, float radius, Paint paint) { throw new RuntimeException("stub"); }
  public void drawBitmap(Bitmap bitmap, Rect src, RectF dst, Paint paint) { throw new RuntimeException("stub"); }
}
