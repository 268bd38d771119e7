package android.content;
import java.io.File;
import android.content.res.AssetManager;
public abstract class Context {
  public File getFilesDir() { throw new RuntimeException("stub"); }
  public AssetManager getAssets() { throw new RuntimeException("stub"); }
}
