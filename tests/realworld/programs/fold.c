/* A small C file for the gcc test: compiled under the preload and without it, the objects must match. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node { struct node* next; char name[24]; };

static unsigned checksum(const struct node* list) {
  unsigned sum = 0;
  for (; list != NULL; list = list->next) sum = sum * 31u + (unsigned)strlen(list->name);
  return sum;
}

int main(void) {
  struct node* head = NULL;
  for (int i = 0; i < 1000; ++i) {
    struct node* n = malloc(sizeof *n);
    if (n == NULL) return 1;
    snprintf(n->name, sizeof n->name, "node-%d", i);
    n->next = head;
    head = n;
  }
  printf("checksum %u\n", checksum(head));
  while (head != NULL) { struct node* next = head->next; free(head); head = next; }
  return 0;
}
