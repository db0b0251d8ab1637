"""Chapter 6.5 (page ``ch06_5_improving``; the article's section 6.6): making a language model better or
cheaper, one method per module, each measured against a control.

``masked_lm`` (self-supervised pre-training, Devlin et al. 2019, and domain-adaptive pre-training, Gururangan et al.
2020), ``distillation`` (Hinton et al. 2015; Tang et al. 2019) and ``multitask`` (Caruana 1997; Liu et al. 2019).
"""
