"""Education and awareness: the code-of-conduct library and the "think before you post" checker."""
