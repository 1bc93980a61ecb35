#include <stdio.h>
int main(void) { puts("casusd: under construction"); return 0; }
