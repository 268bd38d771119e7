package android.graphics;
public class Paint {
  public Paint() { throw new RuntimeException("stub"); }
  public void setColor(int color) { throw new RuntimeException("stub"); }
  public void setStrokeWidth(float width) { throw new RuntimeException("stub"); }
  public void setAntiAlias(boolean aa) { throw new RuntimeException("stub"); }
}
