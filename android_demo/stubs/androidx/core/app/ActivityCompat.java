package androidx.core.app;
import android.app.Activity;
import androidx.core.content.ContextCompat;
public class ActivityCompat extends ContextCompat {
  public static void requestPermissions(Activity activity, String[] permissions, int requestCode) { throw new RuntimeException("stub"); }
}
