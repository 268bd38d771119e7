"""sapiens2.compile"""
