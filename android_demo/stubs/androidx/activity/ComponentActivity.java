package androidx.activity;
import android.app.Activity;
import androidx.lifecycle.LifecycleOwner;
public class ComponentActivity extends Activity implements LifecycleOwner {}
