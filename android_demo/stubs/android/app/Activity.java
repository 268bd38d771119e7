package android.app;
import android.content.Context;
import android.os.Bundle;
import android.view.View;
public class Activity extends Context {
  protected void onCreate(Bundle savedInstanceState) { throw new RuntimeException("stub"); }
  protected void onDestroy() { throw new RuntimeException("stub"); }
  public void setContentView(View view) { throw new RuntimeException("stub"); }
  public final void runOnUiThread(Runnable action) { throw new RuntimeException("stub"); }
  public void onRequestPermissionsResult(int requestCode, String[] permissions, int[] grantResults) { throw new RuntimeException("stub"); }
}
