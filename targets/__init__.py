"""sapiens2.targets"""
