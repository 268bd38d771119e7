"""sapiens2.quantize"""
