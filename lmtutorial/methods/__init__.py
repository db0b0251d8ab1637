"""Chapter 6.5 (page ``ch06_5_improving``; the article's section 6.6): making a language model better or
cheaper, one method per module: ``masked_lm``, ``distillation`` and ``multitask``.
"""
