package android.view;
public class Gravity {
  public static final int TOP = 48;
  public static final int BOTTOM = 80;
  public static final int START = 8388611;
  public static final int END = 8388613;
}
