package android.view;
import android.content.Context;
import android.graphics.Canvas;
public class View {
  public interface OnClickListener { void onClick(View v); }
  public View(Context context) { throw new RuntimeException("stub"); }
  protected void onDraw(Canvas canvas) { throw new RuntimeException("stub"); }
  public void invalidate() { throw new RuntimeException("stub"); }
  public final int getWidth() { throw new RuntimeException("stub"); }
  public final int getHeight() { throw new RuntimeException("stub"); }
  public void setOnClickListener(OnClickListener listener) { throw new RuntimeException("stub"); }
  public void setBackgroundColor(int color) { throw new RuntimeException("stub"); }
  public void setPadding(int left, int top, int right, int bottom) { throw new RuntimeException("stub"); }
}
