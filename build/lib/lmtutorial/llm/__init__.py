"""A real pretrained instruction-tuned LLM for chapter 6: loading it offline or from the Hub
(:mod:`lmtutorial.llm.model`) and classifying by prompting it, zero-shot, k-shot and calibrated
(:mod:`lmtutorial.llm.prompting`)."""
