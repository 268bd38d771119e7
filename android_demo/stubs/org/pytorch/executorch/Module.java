package org.pytorch.executorch;
public class Module {
  public static Module load(String modelPath) { throw new RuntimeException("stub"); }
  public EValue[] forward(EValue... inputs) { throw new RuntimeException("stub"); }
  public void destroy() { throw new RuntimeException("stub"); }
}
